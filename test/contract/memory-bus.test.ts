import { MemoryBus } from '../../gateway/src/bus/memory-bus';
import { busContract } from './bus-contract';

busContract('MemoryBus', async (settings) => new MemoryBus(settings));
