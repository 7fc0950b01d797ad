import { StackStatusPanel } from "./stack-status";

export default function HomePage() {
  return (
    <main>
      <header>
        <h1>Trading platform</h1>
        <p className="muted">Live stack status: API, workers and market data.</p>
      </header>
      <StackStatusPanel />
    </main>
  );
}
