/** Stylesheets imported by the entry points; esbuild bundles them into one CSS file per page. */
declare module '*.css';
