// A titled modal dialog on Radix (focus trap, Escape, focus return) with the console's layout:
// title, optional description, body, footer.

import * as Dialog from '@radix-ui/react-dialog';
import type { ReactNode } from 'react';

export function Modal(props: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  title: string;
  description?: ReactNode;
  children: ReactNode;
  footer: ReactNode;
  size?: 'small' | 'medium' | 'large';
}) {
  return (
    <Dialog.Root open={props.open} onOpenChange={props.onOpenChange}>
      <Dialog.Portal>
        <Dialog.Overlay className="modal-overlay" />
        <Dialog.Content
          className={`modal modal-${props.size ?? 'medium'}`}
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
          <div className="modal-body">{props.children}</div>
          <footer className="modal-footer">{props.footer}</footer>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
