import 'katex/dist/katex.min.css';
import '@glassbox/views/views.css';
import type { Preview } from '@storybook/react-vite';

const preview: Preview = {
  parameters: {
    layout: 'padded',
    controls: { expanded: true, sort: 'requiredFirst' },
  },
  decorators: [
    (Story) => (
      <div className="gb-story" style={{ fontFamily: 'system-ui, sans-serif', maxWidth: 1100 }}>
        <Story />
      </div>
    ),
  ],
};

export default preview;
