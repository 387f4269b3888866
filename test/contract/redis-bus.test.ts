import { RedisBus } from '../../gateway/src/bus/redis-bus';
import { testRedisUrl } from '../helpers/redis';
import { busContract } from './bus-contract';
import { busStateContract } from './bus-state-contract';
import { connectedBus } from './connected-bus';

busContract('RedisBus', (settings) => connectedBus(new RedisBus({ mode: 'standalone', url: testRedisUrl() }, settings)));
busStateContract('RedisBus', (settings) => connectedBus(new RedisBus({ mode: 'standalone', url: testRedisUrl() }, settings)));
