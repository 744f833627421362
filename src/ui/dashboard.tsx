import { Box, Text, useInput, useStdin } from 'ink';
import type { DashboardView } from './live-state.js';
import { layout, type Row, type Tone } from './layout.js';

const COLORS: Record<Tone, { color?: string; bold?: boolean; dimColor?: boolean }> = {
  bad: { color: 'red', bold: true },
  good: { color: 'green' },
  dim: { dimColor: true },
  bold: { bold: true },
  warn: { color: 'yellow' },
  accent: { color: 'cyan' },
};

export interface DashboardKeys {
  /** q: stop the run and write the reports. */
  readonly onStop?: () => void;
  /** Ctrl-C: interrupted (exit 130). */
  readonly onInterrupt?: () => void;
  /** p: pause or resume a paced run. */
  readonly onPause?: () => void;
  /** space: the next model. */
  readonly onNextModel?: () => void;
}

export interface DashboardProps extends DashboardKeys {
  readonly view: DashboardView;
  readonly columns: number;
  readonly color: boolean;
}

function RowText({ row, color }: { readonly row: Row; readonly color: boolean }) {
  if (row.length === 0) return <Text> </Text>;
  return (
    <Text wrap="truncate-end">
      {row.map((s, i) => {
        if (!color) return <Text key={i}>{s.tone === 'bad' ? `${s.text}!` : s.text}</Text>;
        return (
          <Text key={i} {...(s.tone === undefined ? {} : COLORS[s.tone])}>
            {s.text}
          </Text>
        );
      })}
    </Text>
  );
}

function Keys(props: DashboardKeys) {
  useInput((input, key) => {
    if (key.ctrl && input === 'c') props.onInterrupt?.();
    else if (input === 'q') props.onStop?.();
    else if (input === 'p') props.onPause?.();
    else if (input === ' ') props.onNextModel?.();
  });
  return null;
}

/** The live dashboard: rows laid out for the terminal's width, keys read while stdin is a terminal. */
export function Dashboard(props: DashboardProps) {
  const { isRawModeSupported } = useStdin();
  const rows = layout(props.view, props.columns);
  return (
    <Box flexDirection="column" width={props.columns}>
      {isRawModeSupported && !props.view.finished ? <Keys {...props} /> : null}
      {rows.map((row, i) => (
        <RowText key={i} row={row} color={props.color} />
      ))}
    </Box>
  );
}
