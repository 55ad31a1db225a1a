import type { StorybookConfig } from '@storybook/react-vite';
import react from '@vitejs/plugin-react';

// Config lives in stories/.storybook (so Vite's root is stories/); `npm run storybook` / `build-storybook` pass -c.
const config: StorybookConfig = {
  stories: ['../**/*.stories.@(ts|tsx)'],
  framework: { name: '@storybook/react-vite', options: {} },
  // No docs addon is installed, so no docgen: it only slows the build.
  typescript: { reactDocgen: false },
  core: { disableTelemetry: true, disableWhatsNewNotifications: true },
  async viteFinal(config) {
    // Every story and its trace is in the preview bundle (about 1.2 MB): that is expected, not a warning.
    return {
      ...config,
      plugins: [...(config.plugins ?? []), react()],
      build: { ...config.build, chunkSizeWarningLimit: 2000 },
    };
  },
};

export default config;
