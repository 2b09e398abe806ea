import { RecentCounts } from './recent-counts';

describe('RecentCounts (a plugin’s requests in the last minute)', () => {
  it('counts the seconds of the window and drops older ones', () => {
    const counts = new RecentCounts();
    for (const second of [100, 100, 101, 130, 159]) counts.add(second);
    expect(counts.sinceSecond(100)).toBe(5);
    expect(counts.sinceSecond(101)).toBe(3);
    expect(counts.sinceSecond(131)).toBe(1);
  });

  it('reuses a slot a minute later without keeping its old count', () => {
    const counts = new RecentCounts();
    counts.add(100);
    counts.add(100);
    counts.add(160); // the same slot as 100
    expect(counts.sinceSecond(101)).toBe(1);
    expect(counts.sinceSecond(0)).toBe(1);
  });
});
