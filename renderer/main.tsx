// Renderer entry: applies the theme before the first paint and mounts the app.

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app';
import { useApp } from './features/shell/app-store';
import { applyTheme } from './features/shell/theme';
import './styles/app.css';

applyTheme(useApp.getState().theme);

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
