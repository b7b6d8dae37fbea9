/** The user's settings, persisted through an injected Storage (localStorage in the page). */
import { loadSettings, saveSettings, type Settings, type SettingsStorage } from '../settings.ts';

export class SettingsState {
  #value = $state<Settings>() as Settings;

  constructor(private readonly storage: SettingsStorage | null) {
    this.#value = loadSettings(storage);
  }

  get value(): Settings {
    return this.#value;
  }

  update(patch: Partial<Settings>): void {
    this.#value = { ...this.#value, ...patch };
    saveSettings(this.#value, this.storage);
  }
}
