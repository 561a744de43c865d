// The wrapper of a wide table: it never scrolls vertically (the page does), only sideways when the
// table is wider than the page, and then it is a named, focusable region so the keyboard can
// scroll it too (and only then, so it adds no tab stop to tables that fit).

import { useEffect, useState, type ReactNode } from 'react';

export function TableScroll(props: { label: string; className?: string; children: ReactNode }) {
  const [el, setEl] = useState<HTMLDivElement | null>(null);
  const [wide, setWide] = useState(false);
  useEffect(() => {
    if (!el) return;
    const measure = () => setWide(el.scrollWidth > el.clientWidth + 1);
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    if (el.firstElementChild) observer.observe(el.firstElementChild);
    return () => observer.disconnect();
  }, [el]);
  return (
    <div
      ref={setEl}
      className={`table-scroll-x${props.className ? ` ${props.className}` : ''}`}
      {...(wide ? { tabIndex: 0, role: 'region', 'aria-label': `${props.label} (scrolls sideways)` } : {})}
    >
      {props.children}
    </div>
  );
}
