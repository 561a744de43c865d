// Types for what Vite lets the renderer import besides TypeScript: stylesheets.
declare module '*.css';
