import { transportContract } from './transport-contract';

transportContract('Redis (redisUrl)', {
  secret: 's3cret-pw',
  options: (port) => ({ redisUrl: `redis://:s3cret-pw@127.0.0.1:${port}/3` }),
  where: (port) => `127.0.0.1:${port}/3`,
});
