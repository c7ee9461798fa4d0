/** The HTTP service of `prober serve`. */
export { createVerificationServer } from "./verification-server.js";
