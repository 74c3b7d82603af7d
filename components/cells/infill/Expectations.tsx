'use client';
/**
 * Said once, plainly, next to the first Run: the model is tiny and will often write nonsense. Its size
 * comes from the loaded model's config, what it saw from the shipped training.json (lib/notebook/model-facts),
 * and the README's figure is linked for the measured quality.
 */
import { useEffect, useState } from 'react';
import { CORPUS_DESCRIPTION, trainingFacts, type TrainingFacts } from '@/lib/notebook/model-facts';
import { formatCount } from '../../notebook/format';
import { useStudio } from '../../notebook/StudioProvider';

export const FIGURE_URL = '/figures/quality-vs-forwards.svg';

export function Expectations() {
  const slot = useStudio((s) => ({ source: s.models.a3.source, info: s.models.a3.info, loaded: s.models.a3.status === 'loaded' }));
  const [facts, setFacts] = useState<TrainingFacts | null>(null);
  // Read once the weights are in: training.json is not needed to start, and is not fetched while they load.
  const shipped = slot.loaded && (slot.source === 'a3' || slot.source === 'base') ? slot.source : null;
  useEffect(() => {
    if (!shipped) return;
    let live = true;
    void trainingFacts(shipped).then((f) => live && setFacts(f));
    return () => {
      live = false;
    };
  }, [shipped]);
  const info = slot.info;
  const cfg = info?.config;
  const seen = facts?.pretrainTokens ? `${formatCount(facts.pretrainTokens)} tokens of ${CORPUS_DESCRIPTION}` : CORPUS_DESCRIPTION;
  return (
    <p className="note expectations" data-testid="expectations">
      <b>Expect nonsense often.</b> This is a tiny model
      {info && cfg ? ` — ${formatCount(info.parameters)} parameters (${cfg.nLayers} layers, width ${cfg.dModel}, a context of ${cfg.maxLen} tokens)` : ''},
      trained by this project&apos;s own scripts on {seen}
      {facts?.adaptTokens ? `, then ${formatCount(facts.adaptTokens)} tokens to learn any order` : ''}
      {slot.source && !shipped ? ' (and since fine-tuned or imported here)' : ''}. It shows how any-order decoding works, not good writing:{' '}
      <a href={FIGURE_URL} target="_blank" rel="noreferrer" data-testid="expectations-figure">
        the README&apos;s figure
      </a>{' '}
      (and its Results section) measures how good its text is.
    </p>
  );
}
