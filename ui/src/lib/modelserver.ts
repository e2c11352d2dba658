// The model server an admin chooses (Ollama, an OpenAI-compatible server or the built-in demo
// model) and whether it answers: the first-run panel on the chat page and the admin's
// "Model server" tab share this.

export const MODEL_SERVER_PATH = '/api/v1/admin/model-server';

export type Provider = 'ollama' | 'openai' | 'demo';

export interface ModelServerSettings {
	provider: Provider;
	base_url: string;
	api_key_set: boolean;
	/** "config": the configuration file (or defaults); "settings": saved from this page. */
	source: 'config' | 'settings';
	updated_at?: string;
	default: { provider: Provider; base_url: string };
}

export interface ModelServerStatus {
	provider: string;
	base_url?: string;
	reachable: boolean;
	code: 'ok' | 'unreachable' | 'unauthorized' | 'error';
	/** One sentence for a person; never an internal error. */
	message: string;
	/** Installed models, -1 when unknown. */
	models: number;
	demo: boolean;
}

export interface ModelServerView {
	settings: ModelServerSettings;
	status: ModelServerStatus;
}

export const OLLAMA_INSTALL = 'curl -fsSL https://ollama.com/install.sh | sh';
export const FIRST_MODEL = 'llama3.2:3b';

/** Whether chat cannot work yet, so an admin should see the first-run panel. */
export function needsSetup(s: ModelServerStatus): boolean {
	return !s.reachable || (!s.demo && s.models === 0);
}

export type StepId = 'install' | 'pull' | 'point' | 'key' | 'demo';

/** The next steps for an admin, most likely first. */
export function nextSteps(s: ModelServerStatus): StepId[] {
	if (s.reachable) return s.demo || s.models !== 0 ? [] : ['pull', 'demo'];
	switch (s.code) {
		case 'unauthorized':
			return ['key', 'point', 'demo'];
		case 'unreachable':
			return ['install', 'point', 'demo'];
		default:
			return ['point', 'demo'];
	}
}

export const PROVIDER_LABELS: Record<Provider, string> = {
	ollama: 'Ollama',
	openai: 'OpenAI-compatible (llama.cpp, LM Studio, vLLM, …)',
	demo: 'Built-in demo model (canned replies, no AI)'
};

export function statusTone(s: ModelServerStatus): 'ok' | 'warn' | 'bad' {
	if (!s.reachable) return 'bad';
	return s.demo || s.models === 0 ? 'warn' : 'ok';
}

export function statusLabel(s: ModelServerStatus): string {
	if (!s.reachable) return s.code === 'unauthorized' ? 'Key refused' : 'Not answering';
	if (s.demo) return 'Demo model';
	if (s.models === 0) return 'No models yet';
	return s.models === 1 ? 'Answers · 1 model' : s.models > 0 ? `Answers · ${s.models} models` : 'Answers';
}

/** The body of PUT MODEL_SERVER_PATH: the key is sent only when the admin typed one. */
export function updateBody(
	provider: Provider,
	baseURL: string,
	apiKey: string,
	clearKey: boolean
): Record<string, string> {
	const body: Record<string, string> = { provider };
	if (provider === 'demo') return body;
	body.base_url = baseURL.trim();
	if (clearKey) body.api_key = '';
	else if (apiKey.trim() !== '') body.api_key = apiKey.trim();
	return body;
}
