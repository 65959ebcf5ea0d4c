/**
 * Picks the resampler backend once, at startup; the call core only sees `ResamplerFactory`.
 * Equal rates get the identity resampler with either backend: a libsamplerate instance would
 * cost a 25 MiB heap to copy samples.
 */
import { FirResampler } from './fir-resampler.js';
import { IdentityResampler } from './identity-resampler.js';
import { createLsrResampler, type LsrConverter } from './lsr-resampler.js';
import type { ResamplerBackend, ResamplerFactory, StreamResampler } from './resampler.js';

export interface ResamplerFactoryOptions {
  /** libsamplerate converter; ignored by the FIR backend. Defaults to SINC_MEDIUM. */
  lsrConverter?: LsrConverter;
}

export function createResamplerFactory(
  backend: ResamplerBackend,
  options: ResamplerFactoryOptions = {},
): ResamplerFactory {
  switch (backend) {
    case 'fir':
      return (fromHz, toHz) => {
        // Constructed synchronously; a constructor error becomes a rejection like the other backend's.
        try {
          const resampler: StreamResampler =
            fromHz === toHz ? new IdentityResampler(fromHz) : new FirResampler(fromHz, toHz);
          return Promise.resolve(resampler);
        } catch (error) {
          return Promise.reject(error instanceof Error ? error : new Error(String(error)));
        }
      };
    case 'libsamplerate':
      return async (fromHz, toHz) => {
        if (fromHz === toHz) return new IdentityResampler(fromHz);
        return createLsrResampler(fromHz, toHz, { converter: options.lsrConverter });
      };
  }
}
