// Shapes of /api/v1/admin/certificates (app/server/handler_admin_certificates.go).

export interface Cert {
	serial: string;
	name: string;
	user_id: number | null;
	user_email?: string;
	not_before: string;
	not_after: string;
	created_at: string;
	revoked: boolean;
	revoked_at: string | null;
	expired: boolean;
}

export interface IssuedCert extends Cert {
	certificate_pem: string;
	private_key_pem: string;
	ca_certificate_pem: string;
	/** base64 */
	pkcs12: string;
	/** base64, 3DES/SHA-1 for older phones */
	pkcs12_legacy?: string;
	pkcs12_password: string;
	pkcs12_filename: string;
	pkcs12_legacy_filename: string;
	certificate_filename: string;
	private_key_filename: string;
}

export type CertState = 'active' | 'revoked' | 'expired';

export function certState(c: Pick<Cert, 'revoked' | 'expired'>): CertState {
	return c.revoked ? 'revoked' : c.expired ? 'expired' : 'active';
}

/** Decodes standard base64 (the PKCS#12 file) to bytes. */
export function base64ToBytes(b64: string): Uint8Array<ArrayBuffer> {
	const bin = atob(b64);
	const out = new Uint8Array(bin.length);
	for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
	return out;
}
