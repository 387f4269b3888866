import { RedisBus } from '../../gateway/src/bus/redis-bus';
import { clusterPerFile } from '../helpers/redis-cluster';
import { busContract } from './bus-contract';
import { busStateContract } from './bus-state-contract';
import { connectedBus } from './connected-bus';

const cluster = clusterPerFile();

busContract('RedisBus on Redis Cluster', (settings) => {
  return connectedBus(new RedisBus({ mode: 'cluster', nodes: cluster().nodes }, settings));
});

busStateContract('RedisBus on Redis Cluster', (settings) => {
  return connectedBus(new RedisBus({ mode: 'cluster', nodes: cluster().nodes }, settings));
});
