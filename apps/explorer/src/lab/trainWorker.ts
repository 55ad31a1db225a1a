/// <reference lib="webworker" />
// The training lab's Web Worker: the Trainer runs here so the page stays responsive. All the logic is in
// @glassbox/store's TrainingWorkerCore; this file only connects it to postMessage.
import type { TrainingRequest } from '@glassbox/store';
import { TrainingWorkerCore } from '@glassbox/store';

const scope = self as unknown as {
  postMessage(message: unknown, transfer: Transferable[]): void;
  onmessage: ((e: MessageEvent<TrainingRequest>) => void) | null;
};
const core = new TrainingWorkerCore((msg, transfer) => scope.postMessage(msg, transfer));
scope.onmessage = (e) => {
  void core.handle(e.data);
};
