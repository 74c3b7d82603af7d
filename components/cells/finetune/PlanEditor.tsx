'use client';
/**
 * What a fine-tune runs: one curriculum stage, the full A3 curriculum or a custom plan of stages,
 * with steps, learning rate, batch and seed. Controlled: the cell holds `PlanSettings`, `planOf`
 * turns them into a validated Curriculum (or the sentence saying why not).
 */
import { groupSize, groupingKindOptions, type GroupingSpec } from '@/lib/a3/groups';
import { defaultCurriculum, validateCurriculum, type Curriculum, type Stage } from '@/lib/train/curriculum';
import { NumberKnob, SelectKnob } from '../../notebook/controls';

export type PlanChoice = `stage:${number}` | 'full' | 'custom';

export interface PlanSettings {
  choice: PlanChoice;
  steps: number;
  lr: number;
  batch: number;
  seed: number;
  custom: Stage[];
}

export const DEFAULT_PLAN_SETTINGS: PlanSettings = { choice: 'stage:0', steps: 20, lr: 1e-3, batch: 4, seed: 1, custom: defaultCurriculum(10).stages.slice(0, 2) };

const STEPS = { min: 1, max: 10000, integer: true } as const;
const LR = { min: 1e-7, max: 10 } as const;

export function planOf(s: PlanSettings): Curriculum | string {
  const presets = defaultCurriculum(s.steps, s.lr);
  try {
    if (s.choice === 'full') return validateCurriculum(presets);
    if (s.choice === 'custom') return validateCurriculum({ name: 'custom', groupingPer: 'batch', stages: s.custom });
    const stage = presets.stages[Number(s.choice.slice(6))];
    return validateCurriculum({ ...presets, name: stage.name, stages: [stage] });
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** The kinds this plan editor offers. */
type EditableKind = 'left-to-right' | 'contiguous' | 'random';

function groupingOf(kind: GroupingSpec['kind'], size: number): GroupingSpec {
  const k: EditableKind = kind === 'contiguous' || kind === 'random' ? kind : 'left-to-right';
  return k === 'left-to-right' ? { kind: k } : { kind: k, size: Math.max(1, size) };
}

/** A default name no other stage has (add → remove → add must not repeat one: names must be unique). */
export function freshStageName(stages: Stage[]): string {
  const taken = new Set(stages.map((st) => st.name));
  let n = stages.length + 1;
  while (taken.has(`stage ${n}`)) n += 1;
  return `stage ${n}`;
}

const GROUPINGS = groupingKindOptions<EditableKind>(['left-to-right', 'contiguous', 'random']);

export interface PlanEditorProps {
  settings: PlanSettings;
  onChange: (patch: Partial<PlanSettings>) => void;
  /** The plan's problem, shown under it (null when the plan is valid). */
  problem: string | null;
}

export function PlanEditor({ settings: s, onChange, problem }: PlanEditorProps) {
  const presets = defaultCurriculum(s.steps, s.lr).stages;
  const patchStage = (i: number, p: Partial<Stage>) => onChange({ custom: s.custom.map((st, j) => (j === i ? { ...st, ...p } : st)) });
  const choices = [
    ...presets.map((st, i) => ({ value: `stage:${i}` as PlanChoice, label: `stage ${st.name}` })),
    { value: 'full' as PlanChoice, label: `full A3 curriculum (all ${presets.length} stages)` },
    { value: 'custom' as PlanChoice, label: 'custom plan…' },
  ];
  return (
    <>
      <div className="row wrap">
        <SelectKnob label="curriculum" value={s.choice} options={choices} onChange={(choice) => onChange({ choice })} testId="ft-plan" />
        {s.choice !== 'custom' ? (
          <>
            <NumberKnob label="steps per stage" value={s.steps} {...STEPS} onCommit={(steps) => onChange({ steps })} testId="ft-steps" />
            <NumberKnob label="learning rate" value={s.lr} {...LR} size={8} onCommit={(lr) => onChange({ lr })} testId="ft-lr" />
          </>
        ) : null}
        <NumberKnob label="batch" value={s.batch} min={1} max={64} integer onCommit={(batch) => onChange({ batch })} testId="ft-batch" />
        <NumberKnob label="seed" value={s.seed} min={0} max={2 ** 31} integer onCommit={(seed) => onChange({ seed })} testId="ft-seed" />
      </div>
      {s.choice === 'custom' ? (
        <table className="stages" data-testid="ft-custom">
          <thead>
            <tr>
              <th>stage</th>
              <th>steps</th>
              <th>lr</th>
              <th>grouping</th>
              <th>s</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {s.custom.map((st, i) => (
              <tr key={i}>
                <td>
                  <input type="text" value={st.name} onChange={(e) => patchStage(i, { name: e.target.value })} aria-label={`stage ${i + 1} name`} />
                </td>
                <td>
                  <NumberKnob
                    label={<span className="sr-only">stage {i + 1} steps</span>}
                    value={st.steps}
                    {...STEPS}
                    onCommit={(steps) => patchStage(i, { steps, warmup: Math.min(st.warmup, Math.floor(steps / 5)) })}
                    testId={`ft-stage-${i}-steps`}
                  />
                </td>
                <td>
                  <NumberKnob label={<span className="sr-only">stage {i + 1} learning rate</span>} value={st.lr} {...LR} size={8} onCommit={(lr) => patchStage(i, { lr })} testId={`ft-stage-${i}-lr`} />
                </td>
                <td>
                  <SelectKnob
                    label={<span className="sr-only">stage {i + 1} grouping</span>}
                    value={st.grouping.kind}
                    options={GROUPINGS}
                    onChange={(kind) => patchStage(i, { grouping: groupingOf(kind, 'size' in st.grouping ? st.grouping.size : 2) })}
                  />
                </td>
                <td>
                  {st.grouping.kind === 'left-to-right' ? (
                    '1'
                  ) : (
                    <NumberKnob
                      label={<span className="sr-only">stage {i + 1} group size</span>}
                      value={groupSize(st.grouping)}
                      min={1}
                      max={64}
                      integer
                      size={4}
                      onCommit={(size) => patchStage(i, { grouping: groupingOf(st.grouping.kind, size) })}
                      testId={`ft-stage-${i}-size`}
                    />
                  )}
                </td>
                <td>
                  <button type="button" className="link" onClick={() => onChange({ custom: s.custom.filter((_, j) => j !== i) })} aria-label={`remove stage ${i + 1}`}>
                    remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <td colSpan={6}>
                <button
                  type="button"
                  className="link"
                  onClick={() => onChange({ custom: [...s.custom, { name: freshStageName(s.custom), steps: 10, lr: 1e-3, warmup: 2, grouping: { kind: 'random', size: 4 } }] })}
                >
                  + add stage
                </button>
              </td>
            </tr>
          </tfoot>
        </table>
      ) : null}
      {problem ? <p className="inline-error">{problem}</p> : null}
    </>
  );
}
