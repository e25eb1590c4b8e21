/** The marketplace page (`/` and its deep links). */
import { render } from 'preact';
import '../shared/base.css';
import './app.css';
import { interceptLinks } from '../shared/router.js';
import { App, handlesPath } from './app.js';

// Milestones of the first load, read by bench/web.ts: script running, session known, leedz here, calendar usable.
performance.mark('leedz:script');
interceptLinks(handlesPath);
render(<App />, document.getElementById('root')!);
