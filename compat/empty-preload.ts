/**
 * A preload that does nothing: `npm run compat` runs each regression once more with
 * `--import` of this module, to tell failures that any `--import` causes (Node 20 starts the main
 * module from inside the event loop once `--import` is given) from those eventlet causes.
 */
export {};
