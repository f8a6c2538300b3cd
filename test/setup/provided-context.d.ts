// What test/setup/global-temporal.ts hands to the temporal project's tests via inject().
import 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** host:port of the dev server shared by the whole temporal project. */
    temporalAddress: string;
    temporalNamespace: string;
    /** Wrapper script of the Java time-skipping test server; undefined: the SDK downloads one. */
    testServerPath: string | undefined;
    /** stripe-mock binary; undefined when it could not be provisioned. */
    stripeMockPath: string | undefined;
  }
}
