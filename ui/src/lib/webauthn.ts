// Passkeys in the browser. The server (go-webauthn) sends options as JSON
// with binary members in base64url and takes the credential back in the
// standard JSON form (PublicKeyCredential.toJSON()). Browsers differ in
// whether they have PublicKeyCredential.parseCreationOptionsFromJSON and
// toJSON, so the conversion is done here by hand, for every browser alike.

/** base64url (no padding) of bytes. */
export function toBase64url(buf: ArrayBuffer | ArrayBufferView): string {
	const bytes =
		buf instanceof ArrayBuffer
			? new Uint8Array(buf)
			: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
	let bin = '';
	for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
	return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Bytes of base64url (padding and standard base64 accepted too). */
export function fromBase64url(s: string): ArrayBuffer {
	const b64 = s.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
	if (!/^[A-Za-z0-9+/]*$/.test(b64) || b64.length % 4 === 1) {
		throw new Error('not base64url: ' + s.slice(0, 20));
	}
	const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
	const out = new Uint8Array(bin.length);
	for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
	return out.buffer;
}

type Json = Record<string, unknown>;

interface DescriptorJSON {
	id: string;
	type: string;
	transports?: string[];
}

function descriptors(list: unknown): PublicKeyCredentialDescriptor[] | undefined {
	if (!Array.isArray(list)) return undefined;
	return (list as DescriptorJSON[]).map((d) => ({
		...d,
		type: 'public-key',
		id: fromBase64url(d.id),
		transports: d.transports as AuthenticatorTransport[] | undefined
	}));
}

/** The server's {"publicKey": ...} (or the inner object) for navigator.credentials.create. */
export function creationOptionsFromJSON(json: Json): PublicKeyCredentialCreationOptions {
	const pk = ((json.publicKey as Json | undefined) ?? json) as Json;
	const user = pk.user as Json;
	return {
		...(pk as object),
		challenge: fromBase64url(pk.challenge as string),
		user: { ...(user as object), id: fromBase64url(user.id as string) },
		excludeCredentials: descriptors(pk.excludeCredentials)
	} as PublicKeyCredentialCreationOptions;
}

/** The server's {"publicKey": ...} (or the inner object) for navigator.credentials.get. */
export function requestOptionsFromJSON(json: Json): PublicKeyCredentialRequestOptions {
	const pk = ((json.publicKey as Json | undefined) ?? json) as Json;
	return {
		...(pk as object),
		challenge: fromBase64url(pk.challenge as string),
		allowCredentials: descriptors(pk.allowCredentials)
	} as PublicKeyCredentialRequestOptions;
}

/** The parts of a PublicKeyCredential this module reads (a real one, or a test double). */
export interface CredentialLike {
	id: string;
	rawId: ArrayBuffer;
	type: string;
	authenticatorAttachment?: string | null;
	response: {
		clientDataJSON: ArrayBuffer;
		attestationObject?: ArrayBuffer;
		authenticatorData?: ArrayBuffer;
		signature?: ArrayBuffer;
		userHandle?: ArrayBuffer | null;
		getTransports?: () => string[];
		getPublicKey?: () => ArrayBuffer | null;
		getPublicKeyAlgorithm?: () => number;
		getAuthenticatorData?: () => ArrayBuffer;
	};
	getClientExtensionResults?: () => unknown;
}

/** PublicKeyCredential.toJSON(), written out: binary members as base64url. */
export function credentialToJSON(cred: CredentialLike): Json {
	const r = cred.response;
	const response: Json = { clientDataJSON: toBase64url(r.clientDataJSON) };
	if (r.attestationObject) {
		response.attestationObject = toBase64url(r.attestationObject);
		if (r.getTransports) response.transports = r.getTransports();
		const ad = r.getAuthenticatorData?.();
		if (ad) response.authenticatorData = toBase64url(ad);
		const pub = r.getPublicKey?.();
		if (pub) response.publicKey = toBase64url(pub);
		if (r.getPublicKeyAlgorithm) response.publicKeyAlgorithm = r.getPublicKeyAlgorithm();
	} else {
		if (r.authenticatorData) response.authenticatorData = toBase64url(r.authenticatorData);
		if (r.signature) response.signature = toBase64url(r.signature);
		if (r.userHandle) response.userHandle = toBase64url(r.userHandle);
	}
	const out: Json = {
		id: cred.id,
		rawId: toBase64url(cred.rawId),
		type: cred.type,
		response,
		clientExtensionResults: cred.getClientExtensionResults?.() ?? {}
	};
	if (cred.authenticatorAttachment) out.authenticatorAttachment = cred.authenticatorAttachment;
	return out;
}

/** Whether this browser can use passkeys at all (a secure context with WebAuthn). */
export function passkeysSupported(): boolean {
	return (
		typeof window !== 'undefined' &&
		window.isSecureContext &&
		typeof window.PublicKeyCredential === 'function' &&
		!!navigator.credentials
	);
}

/** A person-readable reason for a failed navigator.credentials call. */
export function passkeyErrorMessage(e: unknown): string {
	const name = e instanceof Error ? e.name : '';
	switch (name) {
		case 'NotAllowedError':
			return 'The passkey request was cancelled or timed out.';
		case 'InvalidStateError':
			return 'This authenticator already holds a passkey for your account.';
		case 'SecurityError':
			return 'Passkeys are not allowed on this address (it must match the appliance’s configured name).';
		case 'NotSupportedError':
			return 'This browser or authenticator does not support the requested passkey.';
	}
	return e instanceof Error ? e.message : String(e);
}

/** Runs navigator.credentials.create with the server's options; the credential as JSON. */
export async function createPasskey(options: Json): Promise<Json> {
	const cred = await navigator.credentials.create({ publicKey: creationOptionsFromJSON(options) });
	if (!cred) throw new Error('No passkey was created.');
	return credentialToJSON(cred as unknown as CredentialLike);
}

/** Runs navigator.credentials.get with the server's options; the assertion as JSON. */
export async function getPasskey(options: Json): Promise<Json> {
	const cred = await navigator.credentials.get({ publicKey: requestOptionsFromJSON(options) });
	if (!cred) throw new Error('No passkey was chosen.');
	return credentialToJSON(cred as unknown as CredentialLike);
}
