import { describe, expect, it } from 'vitest';
import {
	credentialToJSON,
	creationOptionsFromJSON,
	fromBase64url,
	passkeyErrorMessage,
	requestOptionsFromJSON,
	toBase64url,
	type CredentialLike
} from './webauthn';

const bytes = (...b: number[]) => new Uint8Array(b).buffer;
const arr = (b: ArrayBuffer | BufferSource) => Array.from(new Uint8Array(b as ArrayBuffer));

describe('base64url', () => {
	it('round-trips every length and byte', () => {
		for (let n = 0; n < 40; n++) {
			const b = new Uint8Array(n).map((_, i) => (i * 37 + n * 11) & 0xff);
			const s = toBase64url(b);
			expect(s).toMatch(/^[A-Za-z0-9_-]*$/);
			expect(arr(fromBase64url(s))).toEqual(Array.from(b));
		}
	});

	it('uses the URL alphabet without padding', () => {
		expect(toBase64url(bytes(0xfb, 0xff))).toBe('-_8');
		expect(toBase64url(bytes(0xfb, 0xef, 0xbe))).toBe('----');
		expect(toBase64url(new Uint8Array([1, 2, 3]).subarray(1))).toBe('AgM');
	});

	it('accepts padding and the standard alphabet, refuses garbage', () => {
		expect(arr(fromBase64url('-_8='))).toEqual([0xfb, 0xff]);
		expect(arr(fromBase64url('+/8'))).toEqual([0xfb, 0xff]);
		expect(() => fromBase64url('a$b')).toThrow();
		expect(() => fromBase64url('abcde')).toThrow();
	});
});

describe('options from the server', () => {
	it('decodes creation options (challenge, user id, excluded credentials)', () => {
		const o = creationOptionsFromJSON({
			publicKey: {
				rp: { id: 'localhost', name: 'aiwfe' },
				user: { id: 'AQID', name: 'ada@example.com', displayName: 'ada@example.com' },
				challenge: 'BAUG',
				pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
				excludeCredentials: [{ type: 'public-key', id: 'CQo', transports: ['internal'] }],
				authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
				timeout: 300000
			}
		});
		expect(arr(o.challenge)).toEqual([4, 5, 6]);
		expect(arr(o.user.id)).toEqual([1, 2, 3]);
		expect(o.user.name).toBe('ada@example.com');
		expect(o.rp.id).toBe('localhost');
		expect(arr(o.excludeCredentials![0].id)).toEqual([9, 10]);
		expect(o.excludeCredentials![0].transports).toEqual(['internal']);
		expect(o.authenticatorSelection?.residentKey).toBe('required');
		expect(o.timeout).toBe(300000);
	});

	it('decodes request options with and without allowed credentials', () => {
		const o = requestOptionsFromJSON({
			publicKey: { challenge: 'AAEC', rpId: 'localhost', allowCredentials: [{ type: 'public-key', id: 'BwgJ' }], userVerification: 'preferred' }
		});
		expect(arr(o.challenge)).toEqual([0, 1, 2]);
		expect(arr(o.allowCredentials![0].id)).toEqual([7, 8, 9]);
		expect(o.rpId).toBe('localhost');
		const d = requestOptionsFromJSON({ challenge: 'AAEC', userVerification: 'required' });
		expect(d.allowCredentials).toBeUndefined();
		expect(d.userVerification).toBe('required');
	});
});

describe('credentials to the server', () => {
	it('writes a registration like toJSON()', () => {
		const cred: CredentialLike = {
			id: 'AQI',
			rawId: bytes(1, 2),
			type: 'public-key',
			authenticatorAttachment: 'platform',
			response: {
				clientDataJSON: bytes(123, 125),
				attestationObject: bytes(0xa0),
				getTransports: () => ['internal'],
				getPublicKeyAlgorithm: () => -7,
				getPublicKey: () => bytes(5),
				getAuthenticatorData: () => bytes(6)
			},
			getClientExtensionResults: () => ({ credProps: { rk: true } })
		};
		expect(credentialToJSON(cred)).toEqual({
			id: 'AQI',
			rawId: 'AQI',
			type: 'public-key',
			authenticatorAttachment: 'platform',
			clientExtensionResults: { credProps: { rk: true } },
			response: {
				clientDataJSON: 'e30',
				attestationObject: 'oA',
				transports: ['internal'],
				publicKeyAlgorithm: -7,
				publicKey: 'BQ',
				authenticatorData: 'Bg'
			}
		});
	});

	it('writes an assertion like toJSON()', () => {
		const cred: CredentialLike = {
			id: 'AQI',
			rawId: bytes(1, 2),
			type: 'public-key',
			response: {
				clientDataJSON: bytes(123, 125),
				authenticatorData: bytes(1),
				signature: bytes(0xff, 0xfe),
				userHandle: bytes(3)
			}
		};
		expect(credentialToJSON(cred)).toEqual({
			id: 'AQI',
			rawId: 'AQI',
			type: 'public-key',
			clientExtensionResults: {},
			response: { clientDataJSON: 'e30', authenticatorData: 'AQ', signature: '__4', userHandle: 'Aw' }
		});
		const noHandle = credentialToJSON({ ...cred, response: { ...cred.response, userHandle: null } });
		expect((noHandle.response as Record<string, unknown>).userHandle).toBeUndefined();
	});
});

describe('passkeyErrorMessage', () => {
	it('explains the DOMExceptions people meet', () => {
		const err = (name: string) => Object.assign(new Error('x'), { name });
		expect(passkeyErrorMessage(err('NotAllowedError'))).toMatch(/cancelled/);
		expect(passkeyErrorMessage(err('InvalidStateError'))).toMatch(/already/);
		expect(passkeyErrorMessage(new Error('boom'))).toBe('boom');
	});
});
