// The wire protocol shared by publishers and gateways: Redis names, ids, the envelope, validation.
export * from './clip';
export * from './defaults';
export * from './keys';
export * from './stream-id';
export * from './envelope';
export * from './validate';
export * from './publish-script';
export * from './history';
export * from './store';
