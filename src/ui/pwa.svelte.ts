/** PWA glue: service worker registration, the update prompt and the install prompt. */
import { registerSW } from 'virtual:pwa-register';

interface InstallPromptEvent extends Event {
  prompt(): Promise<void>;
  userChoice: Promise<{ outcome: 'accepted' | 'dismissed' }>;
}

class Pwa {
  needRefresh = $state(false);
  offlineReady = $state(false);
  /** A service worker controls the page: it was installed, so the app shell is precached. */
  controlled = $state(false);
  canInstall = $state(false);
  installed = $state(false);
  private installEvent: InstallPromptEvent | null = null;
  private update: ((reload?: boolean) => Promise<void>) | null = null;
  private registered = false;

  /**
   * Listen for the install prompt and the controller; the service worker itself is registered by
   * `register()` once the app has started (App.svelte calls it when boot has settled), or after
   * `registerAfterMs` at the latest: its install precaches the whole shell (about 40 MB with the
   * ONNX runtime), which must not compete with the first load for the network, the disk and the cores.
   */
  start(registerAfterMs = 10_000): void {
    if (!('serviceWorker' in navigator)) return;
    this.controlled = !!navigator.serviceWorker.controller;
    navigator.serviceWorker.addEventListener('controllerchange', () => {
      this.controlled = !!navigator.serviceWorker.controller;
    });
    setTimeout(() => this.register(), registerAfterMs);
    window.addEventListener('beforeinstallprompt', (e) => {
      e.preventDefault();
      this.installEvent = e as InstallPromptEvent;
      this.canInstall = true;
    });
    window.addEventListener('appinstalled', () => {
      this.installed = true;
      this.canInstall = false;
    });
  }

  /** Register the service worker (once; later calls do nothing). */
  register(): void {
    if (this.registered || !('serviceWorker' in navigator)) return;
    this.registered = true;
    this.update = registerSW({
      immediate: true,
      onNeedRefresh: () => {
        this.needRefresh = true;
      },
      onOfflineReady: () => {
        this.offlineReady = true;
      },
    });
  }

  async install(): Promise<void> {
    const ev = this.installEvent;
    if (!ev) return;
    await ev.prompt();
    await ev.userChoice;
    this.installEvent = null;
    this.canInstall = false;
  }

  async applyUpdate(): Promise<void> {
    await this.update?.(true);
  }
}

export const pwa = new Pwa();
