/**
 * Pane sizes for a terminal size, computed once and used by the App and every pane, so the sizes
 * the reducer pages by are the sizes on screen. Narrow or short windows hide panes rather than
 * squeeze borders; below MIN_COLUMNS x MIN_ROWS the App says the window is too small.
 */
export const MIN_COLUMNS = 40;
export const MIN_ROWS = 10;

export interface Layout {
  readonly columns: number;
  /** Rows ink draws: one short of the terminal (a frame as tall as the screen makes ink 6.8 repaint everything on each update, ink#450). */
  readonly height: number;
  readonly tooSmall: boolean;
  /** Short window: the login box and the compose pane lose their padding and borders. */
  readonly compact: boolean;
  /** Height of the row of panes above the compose pane. */
  readonly top: number;
  /** Left column (windows list, users); width 0 when hidden. */
  readonly leftWidth: number;
  /** Windows list height (0 = hidden). */
  readonly windowsHeight: number;
  /** Users pane height (0 = hidden) and how many names it lists. */
  readonly usersHeight: number;
  readonly usersPageSize: number;
  readonly messagesWidth: number;
  /** Text rows and columns inside the messages pane. */
  readonly messageRows: number;
  readonly messageColumns: number;
  readonly composeHeight: number;
}

export function layout(columns: number, rows: number): Layout {
  const height = Math.max(1, rows - 1);
  const tooSmall = columns < MIN_COLUMNS || rows < MIN_ROWS;
  const compact = rows < 16;
  const composeHeight = compact ? 2 : 4;
  const top = Math.max(3, height - composeHeight - 1);
  const leftWidth = columns >= 60 ? Math.max(18, Math.min(28, Math.floor(columns * 0.25))) : 0;
  // Both lists when there is room for a few rows of each; else only the conversations.
  const both = leftWidth > 0 && top >= 14;
  const windowsHeight = leftWidth === 0 ? 0 : both ? Math.max(5, Math.floor(top * 0.5)) : top;
  const usersHeight = both ? top - windowsHeight : 0;
  const messagesWidth = columns - leftWidth;
  return {
    columns,
    height,
    tooSmall,
    compact,
    top,
    leftWidth,
    windowsHeight,
    usersHeight,
    usersPageSize: Math.max(1, usersHeight - 4),
    messagesWidth,
    // Border (2), title and the "more below" line.
    messageRows: Math.max(1, top - 4),
    messageColumns: Math.max(10, messagesWidth - 2),
    composeHeight,
  };
}
