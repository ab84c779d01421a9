export { HowItWorksTab } from './HowItWorksTab';
