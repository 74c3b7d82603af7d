/** Store slice "errors": messages shown in the cell whose action caused them, newest last, de-duplicated. */
import type { Slice, SliceContext } from './context';

/** Where an error is shown: the cell whose action caused it. */
export type CellId = 'model' | 'inspect' | 'finetune' | 'infill' | 'compare' | 'global';

export interface StudioError {
  id: number;
  cell: CellId;
  message: string;
  at: number;
}

export interface ErrorsData {
  errors: StudioError[];
}

export interface ErrorsActions {
  pushError(cell: CellId, message: string): void;
  dismissError(id: number): void;
  clearErrors(cell: CellId): void;
}

const MAX_ERRORS = 20;

export function errorsSlice({ set, get, now }: SliceContext): Slice<ErrorsData & ErrorsActions> {
  let nextId = 1;
  return {
    slice: {
      errors: [],
      pushError(cell, message) {
        set((s) => ({ errors: [...s.errors.filter((x) => !(x.cell === cell && x.message === message)), { id: nextId++, cell, message, at: now() }].slice(-MAX_ERRORS) }));
      },
      dismissError(id) {
        set((s) => ({ errors: s.errors.filter((x) => x.id !== id) }));
      },
      clearErrors(cell) {
        if (get().errors.some((x) => x.cell === cell)) set((s) => ({ errors: s.errors.filter((x) => x.cell !== cell) }));
      },
    },
    onEvent(e) {
      // Errors with an id reject their request; the action that sent it shows them in its cell.
      if (e.type === 'error' && e.id === undefined) get().pushError('global', e.message);
    },
  };
}
