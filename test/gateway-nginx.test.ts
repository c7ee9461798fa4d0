import { describeGateway } from "./support/gateway-spec.js";

describeGateway("nginx");
