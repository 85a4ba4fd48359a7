// The type of what native-loader.cjs exports: the native addon, as napi-rs declares it.
declare const native: typeof import('./native');
export = native;
