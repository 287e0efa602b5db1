/** SCAFFOLD: what `createReconciler` does, in the contract's words. */
export function createReconciler(input: string): string {
  throw new Error('TODO: write createReconciler');
}

/** SCAFFOLD: what `createDataPlane` does, in the contract's words. */
export function createDataPlane(input: string): string {
  throw new Error('TODO: write createDataPlane');
}
