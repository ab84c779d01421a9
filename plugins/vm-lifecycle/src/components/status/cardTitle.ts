/**
 * InfoCard titles render as a styled span by default; as h2 they give each card a heading, so
 * screen-reader users (and tests) can jump between the cards of a page.
 */
export const CARD_TITLE_PROPS = { component: 'h2' } as const;
