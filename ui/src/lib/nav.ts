// The single list of pages in the navigation. A page whose feature is not built yet is
// simply absent; enabling one is one line here.
import type { IconName } from './icons';
import type { Role } from './types';

export interface NavItem {
	href: string;
	label: string;
	icon: IconName;
	/** Reachable without signing in. */
	public?: boolean;
	/** Only these roles see (and may open) the page; absent means every signed-in user. */
	roles?: readonly Role[];
}

/** The roles that administer the appliance (accounts, the model server, certificates). */
export const ADMIN_ROLES: readonly Role[] = ['admin', 'superuser'];

/** Whether someone with `role` (null: signed out) is an administrator. */
export function isAdmin(role: string | null | undefined): boolean {
	return (ADMIN_ROLES as readonly string[]).includes(role ?? '');
}

export const NAV: readonly NavItem[] = [
	{ href: '/', label: 'Chat', icon: 'chat' },
	{ href: '/documents', label: 'Documents', icon: 'file' },
	{ href: '/tasks', label: 'Tasks', icon: 'tasks' },
	{ href: '/calendar', label: 'Calendar', icon: 'calendar' },
	{ href: '/status', label: 'Status', icon: 'activity', public: true },
	{ href: '/settings', label: 'Settings', icon: 'cpu' },
	{ href: '/profile', label: 'Profile', icon: 'user' },
	{ href: '/security', label: 'Security', icon: 'shield' },
	{ href: '/admin', label: 'Admin', icon: 'settings', roles: ADMIN_ROLES }
];

/** Pages that need no account and are not in the sidebar. */
const PUBLIC_PATHS = ['/login', '/register', '/request-access'];

/** Pages drawn without the app shell (full-page forms). */
export const BARE_PATHS = ['/login', '/register', '/request-access'];

function under(path: string, prefix: string): boolean {
	return path === prefix || path.startsWith(prefix + '/');
}

export function isPublicPath(path: string): boolean {
	return (
		PUBLIC_PATHS.some((p) => under(path, p)) || NAV.some((n) => n.public && under(path, n.href))
	);
}

export function isBarePath(path: string): boolean {
	return BARE_PATHS.some((p) => under(path, p));
}

export function canSee(item: NavItem, role: string | null): boolean {
	if (item.public) return true;
	if (role === null) return false;
	return !item.roles || (item.roles as readonly string[]).includes(role);
}

/** The entries a person with `role` (null when signed out) sees. */
export function navFor(role: string | null): NavItem[] {
	return NAV.filter((n) => canSee(n, role));
}

/** Whether `role` may open `path` (false only for role-restricted pages). */
export function roleAllows(path: string, role: string | null): boolean {
	const item = NAV.find((n) => under(path, n.href));
	return !item || canSee(item, role);
}

export function isActive(path: string, href: string): boolean {
	return under(path, href);
}
