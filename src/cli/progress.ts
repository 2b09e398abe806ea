const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export interface ProgressOptions {
  stream?: NodeJS.WriteStream;
  /** Animate in place (default: when stdout and the stream are terminals). */
  tty?: boolean;
}

/**
 * A progress indicator for long work, on stderr so stdout stays parseable: an animated line with
 * the elapsed time on a terminal, one plain line per step otherwise (logs, CI, pipes).
 */
export class Progress {
  private label = '';
  private frame = 0;
  private readonly began = Date.now();
  private timer?: NodeJS.Timeout;
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;

  constructor(label: string, options: ProgressOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    this.tty = options.tty ?? (process.stdout.isTTY === true && this.stream.isTTY === true);
    if (this.tty) {
      this.timer = setInterval(() => this.draw(), 80);
      this.timer.unref();
    }
    this.step(label);
  }

  step(label: string): void {
    this.label = label;
    if (this.tty) this.draw();
    else this.stream.write(`${label}...\n`);
  }

  /** Stops the indicator; the caller prints the outcome. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.tty) this.stream.write('\r\x1b[2K');
  }

  private draw(): void {
    const seconds = ((Date.now() - this.began) / 1000).toFixed(1);
    this.stream.write(`\r\x1b[2K${FRAMES[this.frame++ % FRAMES.length]} ${this.label} (${seconds} s)`);
  }
}

/** Runs `work` under a progress indicator labelled `label`. */
export async function withProgress<T>(label: string, work: (progress: Progress) => Promise<T>): Promise<T> {
  const progress = new Progress(label);
  try {
    return await work(progress);
  } finally {
    progress.stop();
  }
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
