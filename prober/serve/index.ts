/** The HTTP service of `prober serve`: its endpoints, the limits of a check and the targets it may probe. */
export { type CheckLimits, checkOptions, RequestError } from "./check-request.js";
export { type HealthListener, HealthListenerError, startHealthListener } from "./health-listener.js";
export {
  type AllowedTarget,
  ForbiddenTargetError,
  parseTargetRule,
  type Resolver,
  TargetPolicy,
  type TargetRule,
  TargetRuleError,
} from "./target-policy.js";
export {
  createVerificationServer,
  type VerificationServer,
  type VerificationServerOptions,
} from "./verification-server.js";
