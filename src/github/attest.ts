import type { FileToPublish } from '../publish/release-files.js';

export type AttestationOutcome = { readonly attested: true; readonly url?: string } | { readonly attested: false; readonly reason: string };

/**
 * Attests the build provenance of the published files (SLSA, signed through
 * GitHub's OIDC token) when the workflow grants `id-token: write` and
 * `attestations: write`. Without them there is nothing to sign with: say so
 * and go on. A failing attestation never undoes a release.
 */
export async function attestFiles(files: readonly FileToPublish[], token: string, env: NodeJS.ProcessEnv = process.env): Promise<AttestationOutcome> {
  if (!env.ACTIONS_ID_TOKEN_REQUEST_URL || !env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) {
    return { attested: false, reason: 'no id-token permission (grant `id-token: write` and `attestations: write` to attest the release files)' };
  }
  try {
    const { attestProvenance } = await import('@actions/attest');
    const attestation = await attestProvenance({
      subjects: files.map((file) => ({ name: file.name, digest: { sha256: file.sha256 } })),
      token,
      sigstore: env.GITHUB_SERVER_URL && env.GITHUB_SERVER_URL !== 'https://github.com' ? 'github' : undefined,
    });
    return { attested: true, url: attestation.attestationID ? `${env.GITHUB_SERVER_URL ?? 'https://github.com'}/${env.GITHUB_REPOSITORY}/attestations/${attestation.attestationID}` : undefined };
  } catch (error) {
    return { attested: false, reason: `attestation failed: ${(error as Error).message}` };
  }
}
