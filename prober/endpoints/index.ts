/** The endpoints of a fleet of gateway replicas: given, from a name's records, or from a Service's EndpointSlices (`service-endpoints.ts`, loaded only when needed). */
export { EndpointError, resolveEachAddress } from "./address-endpoints.js";
export {
  type Endpoint,
  type EndpointFollower,
  endpointChanges,
  endpointKey,
  endpointName,
  namedTarget,
  pollEndpoints,
} from "./endpoint.js";
export {
  type FleetMember,
  type FleetRun,
  type FleetRunOptions,
  fanOut,
  runFleet,
  shareOut,
} from "./fleet-run.js";
export { parseServiceReference, type ServiceReference } from "./service-reference.js";
