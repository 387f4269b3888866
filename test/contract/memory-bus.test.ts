import { MemoryBus } from '../../gateway/src/bus/memory-bus';
import { busContract } from './bus-contract';
import { busStateContract } from './bus-state-contract';

busContract('MemoryBus', async (settings) => new MemoryBus(settings));
busStateContract('MemoryBus', async (settings) => new MemoryBus(settings));
