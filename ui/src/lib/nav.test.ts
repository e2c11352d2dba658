import { describe, expect, it } from 'vitest';
import { NAV, isBarePath, isPublicPath, navFor, roleAllows } from './nav';

const hrefs = (role: string | null) => navFor(role).map((n) => n.href);

describe('nav', () => {
	it('shows only public pages when signed out', () => {
		expect(hrefs(null)).toEqual(['/status']);
	});

	it('hides admin from users and shows it to admins and superusers', () => {
		expect(hrefs('user')).not.toContain('/admin');
		expect(hrefs('user')).toContain('/profile');
		expect(hrefs('admin')).toContain('/admin');
		expect(hrefs('superuser')).toContain('/admin');
		expect(hrefs('unknown-role')).not.toContain('/admin');
	});

	it('puts the chat first and settings in the nav for signed-in users', () => {
		expect(hrefs('user')[0]).toBe('/');
		expect(hrefs('user')).toContain('/settings');
		expect(roleAllows('/settings', 'user')).toBe(true);
		expect(isPublicPath('/settings')).toBe(false);
	});

	it('keeps the order of the single list', () => {
		expect(hrefs('admin')).toEqual(NAV.map((n) => n.href));
	});

	it('knows public and bare routes', () => {
		for (const p of ['/login', '/register', '/request-access', '/status']) {
			expect(isPublicPath(p)).toBe(true);
		}
		for (const p of ['/', '/profile', '/security', '/admin', '/loginx', '/statusx']) {
			expect(isPublicPath(p)).toBe(false);
		}
		expect(isBarePath('/login')).toBe(true);
		expect(isBarePath('/status')).toBe(false);
	});

	it('guards role-restricted pages, including sub-paths', () => {
		expect(roleAllows('/admin', 'user')).toBe(false);
		expect(roleAllows('/admin/users', 'user')).toBe(false);
		expect(roleAllows('/admin', 'admin')).toBe(true);
		expect(roleAllows('/profile', 'user')).toBe(true);
		expect(roleAllows('/', 'user')).toBe(true);
	});
});
