export * from './core.js';
export { createStudyServices, StudyModule, StudySharedModule, StudyDocumentBuilder, type StudyServices, type StudyAddedServices } from './study-module.js';
export { quickFix } from './lsp/code-actions.js';
