export type Role = 'user' | 'admin' | 'superuser';
export type UserStatus = 'pending' | 'active' | 'suspended';

export interface User {
	id: string | number;
	email: string;
	role: Role | string;
	status?: UserStatus | string;
	created_at?: string;
	last_login_at?: string | null;
	[key: string]: unknown;
}

export interface Page<T> {
	items: T[];
	page: number;
	per_page: number;
	total: number;
}

export interface SecurityEvent {
	id: string | number;
	type: string;
	success: boolean;
	reason?: string | null;
	ip?: string | null;
	device_name?: string | null;
	email?: string | null;
	created_at: string;
}

export interface Device {
	id: string | number;
	name: string;
	trusted: boolean;
	first_seen: string;
	last_seen: string;
	last_ip?: string | null;
	current: boolean;
}
