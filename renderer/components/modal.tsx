// A titled modal dialog on Radix (focus trap, Escape) with the console's layout: title, optional
// description, body (the dialog's one scroll container), footer. Focus goes back to the control
// that opened it when it closes (Esc, Cancel or OK), unless `returnFocus` takes it elsewhere (after
// OK on Failover the opener is about to disappear: the policy is failing over and read-only).

import * as Dialog from '@radix-ui/react-dialog';
import { useEffect, useLayoutEffect, useRef, useState, type ReactNode } from 'react';

export function Modal(props: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  title: string;
  description?: ReactNode;
  children: ReactNode;
  footer: ReactNode;
  size?: 'small' | 'medium' | 'large';
  /** Called on close first; returns true when it placed focus itself (the opener is then left alone). */
  returnFocus?: () => boolean;
}) {
  const opener = useRef<HTMLElement | null>(null);
  // The body is the dialog's one scroll container; once its content overflows it must be reachable
  // by keyboard (a focusable, named region), and only then, so it never steals the first focus.
  const [body, setBody] = useState<HTMLDivElement | null>(null);
  const [scrollable, setScrollable] = useState(false);
  useEffect(() => {
    if (!body) return;
    const measure = () => setScrollable(body.scrollHeight > body.clientHeight + 1);
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(body);
    for (const child of body.children) observer.observe(child);
    const mutations = new MutationObserver(() => {
      for (const child of body.children) observer.observe(child);
      measure();
    });
    mutations.observe(body, { childList: true, subtree: true });
    return () => {
      observer.disconnect();
      mutations.disconnect();
    };
  }, [body]);
  // Layout effects run before Radix moves focus into the dialog, so this still sees the opener.
  useLayoutEffect(() => {
    if (!props.open) return;
    const active = document.activeElement;
    opener.current = active instanceof HTMLElement && active !== document.body ? active : null;
  }, [props.open]);
  const onCloseAutoFocus = (e: Event) => {
    // Radix would focus whatever was focused when it mounted, or the body when that is gone.
    e.preventDefault();
    const target = opener.current;
    opener.current = null;
    if (props.returnFocus?.()) return;
    if (target && target.isConnected && !target.hasAttribute('disabled')) target.focus();
    else document.getElementById('main')?.focus();
  };
  return (
    <Dialog.Root open={props.open} onOpenChange={props.onOpenChange}>
      <Dialog.Portal>
        <Dialog.Overlay className="modal-overlay" />
        <Dialog.Content
          className={`modal modal-${props.size ?? 'medium'}`}
          onCloseAutoFocus={onCloseAutoFocus}
          {...(props.description ? {} : { 'aria-describedby': undefined })}
        >
          <header className="modal-header">
            <Dialog.Title className="modal-title">{props.title}</Dialog.Title>
            {props.description && (
              <Dialog.Description asChild>
                <div className="modal-description">{props.description}</div>
              </Dialog.Description>
            )}
          </header>
          <div
            ref={setBody}
            className="modal-body"
            {...(scrollable ? { tabIndex: 0, role: 'region', 'aria-label': `${props.title}: details` } : {})}
          >
            {props.children}
          </div>
          <footer className="modal-footer">{props.footer}</footer>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}

/**
 * Focuses the element matching `selector` once it is in the page (a view that renders after the
 * dialog closed), trying for up to `timeoutMs`; falls back to the main landmark.
 */
export function focusWhenReady(selector: string, timeoutMs = 5_000): void {
  const deadline = Date.now() + timeoutMs;
  const attempt = () => {
    const el = document.querySelector<HTMLElement>(selector);
    if (el) {
      el.focus();
      return;
    }
    if (Date.now() < deadline) requestAnimationFrame(attempt);
    else document.getElementById('main')?.focus();
  };
  attempt();
}
