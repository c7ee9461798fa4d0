import {
  type Backend,
  startWeightedSplitter,
  type WeightedSplitter,
} from "../../splitter/weighted-splitter.js";
import { type GatewayBackend, type L4Gateway, startGateway } from "./l4-gateway.js";

/**
 * Several nginx gateways behind one load balancer that spreads connections evenly over them, as a
 * Service spreads them over an ingress gateway's replicas. Reloading the replicas one after another with
 * new weights moves the split in steps of 1/replicas: the ramp a rollout makes while each replica picks
 * up the new route at its own moment.
 */
export interface GatewayReplicas {
  /** The balancer's port on 127.0.0.1. */
  readonly port: number;
  readonly replicas: L4Gateway[];
  stop(): Promise<void>;
}

export async function startGatewayReplicas(
  count: number,
  backends: GatewayBackend[],
): Promise<GatewayReplicas> {
  const replicas: L4Gateway[] = [];
  let balancer: WeightedSplitter | undefined;
  const stop = async () => {
    await balancer?.close();
    await Promise.all(replicas.map((replica) => replica.stop()));
  };
  try {
    for (let i = 0; i < count; i++) replicas.push(await startGateway("nginx", backends));
    const even: Backend[] = replicas.map((replica) => ({ host: "127.0.0.1", port: replica.port, weight: 1 }));
    balancer = await startWeightedSplitter(even);
  } catch (error) {
    await stop();
    throw error;
  }
  return { port: balancer.port, replicas, stop };
}
