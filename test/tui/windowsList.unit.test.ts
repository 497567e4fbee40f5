import test from 'ava';
import { listWindow } from '../../src/tui/components/WindowsPane.js';

test('defect 9: the windows list shows the window on screen and keeps a row for "more" at each end that has more', (t) => {
  t.deepEqual(listWindow(4, 3, 4), { start: 0, rows: 4 }, 'all fit: no marker');
  for (const total of [5, 8, 12, 40]) {
    for (const room of [3, 4, 5, 7]) {
      for (let at = 0; at < total; at++) {
        const { start, rows } = listWindow(total, at, room);
        const markers = (start > 0 ? 1 : 0) + (start + rows < total ? 1 : 0);
        t.true(at >= start && at < start + rows, `window ${at} of ${total} in ${room} rows`);
        if (total <= room) {
          t.deepEqual({ start, rows }, { start: 0, rows: total }, 'all fit');
          continue;
        }
        t.is(rows + markers, room, `${total}/${room}/${at}: the rows and the markers fill the list`);
        t.true(markers >= 1, 'something is hidden, so a marker says so');
      }
    }
  }
});
