import { render } from 'preact';

render(<main><h1>debstash</h1></main>, document.getElementById('app') as HTMLElement);
