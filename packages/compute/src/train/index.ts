// Training: loss, the hand-written backward pass, optimizers, schedule, clipping, the stepped Trainer.
export * from './backward';
export * from './batch';
export * from './clip';
export * from './gradcheck';
export * from './gradients';
export * from './grads';
export * from './loss';
export * from './modelTrainer';
export * from './optim';
export * from './schedule';
export * from './trainer';
