export * from './names';
export * from './registry';
export * from './types';
