import { RedisBus } from '../../gateway/src/bus/redis-bus';
import { startRedisCluster, type RedisClusterServer } from '../helpers/redis-cluster';
import { busContract } from './bus-contract';
import { busStateContract } from './bus-state-contract';
import { connectedBus } from './connected-bus';

let cluster: RedisClusterServer | undefined;

beforeAll(async () => {
  cluster = await startRedisCluster();
}, 60000);

afterAll(async () => {
  await cluster?.dispose();
});

busContract('RedisBus on Redis Cluster', (settings) => {
  if (cluster === undefined) throw new Error('the cluster did not start');
  return connectedBus(new RedisBus({ mode: 'cluster', nodes: cluster.nodes }, settings));
});

busStateContract('RedisBus on Redis Cluster', (settings) => {
  if (cluster === undefined) throw new Error('the cluster did not start');
  return connectedBus(new RedisBus({ mode: 'cluster', nodes: cluster.nodes }, settings));
});
