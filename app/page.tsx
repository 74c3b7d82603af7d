import { ModelDeviceCell } from './model-device-cell';

/** The notebook: a column of cells. Server-rendered shell; each cell hydrates on its own. */
export default function NotebookPage() {
  return (
    <main className="notebook">
      <header className="notebook-header">
        <h1>A3 Studio</h1>
        <p className="lede">
          An any-order language model you can train, fine-tune, decode and inspect in your browser.
        </p>
      </header>
      <ModelDeviceCell index={1} />
    </main>
  );
}
