import { afterAll } from "vitest";
import { killAllTracked } from "./child-processes.js";

// Every test file ends by killing whatever processes it started and did not stop, even after a failure.
afterAll(killAllTracked);
