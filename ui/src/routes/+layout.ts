// A pure single-page app: the Go server answers every unknown path with index.html.
export const ssr = false;
export const prerender = false;
